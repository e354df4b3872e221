"""The `govern` typer app: registers every command module's commands and maps errors to exit codes.

Command modules define plain functions (or a sub-app) and import nothing from here; this module
is the only one that knows the list, so there is no import cycle and nothing imports the CLI.
"""

from __future__ import annotations

import re
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from govern import __version__
from govern.cli import (
    broker,
    catalog,
    check,
    compat,
    idl,
    import_,
    record,
    register,
    registry,
    release_plan,
    replay,
)
from govern.cli.options import report_error
from govern.errors import ExitCode, GovernError


def reflow(text: str | None) -> str | None:
    """Help text as paragraphs: the line breaks of a wrapped docstring become spaces.

    Typer keeps them in rich mode, so a docstring wrapped at 100 columns broke mid-sentence on an
    80-column terminal; the terminal wraps the paragraphs instead.
    """
    if not text:
        return text
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _placeholder(param: Any) -> str | None:
    """The word shown after an option: its metavar (REF, URL, FILE), else its name in capitals; none
    for flags and arguments (whose name is shown already)."""
    if not isinstance(param, TyperOption) or param.is_flag:
        return None
    if param.metavar:
        return param.metavar
    name = next((o for o in param.opts if o.startswith("--")), param.opts[0]).lstrip("-")
    return name.upper().replace("-", "_")


def in_words(command: Any) -> None:
    """Reflow the help of `command` (and its subcommands) and show placeholders in words.

    Typer would print Python types (`<str>`, `<list[str]>`, `<bool>`) and fold long choice lists
    (`git hub`); the choices are listed in each option's help instead.
    """
    command.help = reflow(command.help)
    command.short_help = reflow(command.short_help)
    params = command.get_params

    def worded(ctx: Any) -> list[Any]:  # --help is made here, so the placeholders are set here too
        found = params(ctx)
        for param in found:
            words = _placeholder(param)
            param.display_type_rich = lambda ctx, words=words: words
            if isinstance(param, TyperArgument):  # FILES..., [REF]: not typer's {files}...
                param.metavar = param.metavar or param.name.upper()
                param._usage_display_name = lambda p=param: (
                    (p.metavar if p.required else f"[{p.metavar}]") + ("..." if p.nargs != 1 else "")
                )
        return found

    command.get_params = worded
    for sub in getattr(command, "commands", {}).values():
        in_words(sub)


class _Group(TyperGroup):
    """The root group: every command's help in words (see `in_words`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        in_words(self)


app = typer.Typer(
    name="govern",
    cls=_Group,
    help="Schema governance for event-driven microservices on Apache Kafka.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"govern {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Schema governance for event-driven microservices on Apache Kafka."""
    from govern.config import load_config

    load_config(".")  # an unknown or bad setting in govern.toml fails every command (exit 2)


app.add_typer(broker.broker_app)
app.command("catalog")(catalog.catalog_command)
app.command("check")(check.check_command)
app.command("compat")(compat.compat)
app.command("idl")(idl.idl)
app.command("import")(import_.import_command)
app.command("record")(record.record_command)
app.command("register")(register.register_command)
app.add_typer(registry.registry_app)
app.command("release-plan")(release_plan.release_plan_command)
app.command("replay")(replay.replay_command)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except GovernError as error:
        report_error(error)
        sys.exit(int(error.exit_code))


__all__ = ["app", "main", "report_error"]

if __name__ == "__main__":
    main()
