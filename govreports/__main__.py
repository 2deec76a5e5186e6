from govreports.cli import main

main()
