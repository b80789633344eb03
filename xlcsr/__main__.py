"""`python -m xlcsr …` runs the command line."""

from xlcsr.cli.app import main

main()
