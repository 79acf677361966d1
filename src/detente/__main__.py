from detente.cli.main import main

main()
