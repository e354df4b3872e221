"""The `govern` command line: thin typer commands over the library."""
