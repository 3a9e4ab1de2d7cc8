from pai_tui.cli import main

main()
