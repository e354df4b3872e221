from govern.cli.app import main

main()
