from kamalguard.cli import main

main()
