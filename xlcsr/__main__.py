"""`python -m xlcsr …` runs the command line."""

from xlcsr.cli.launch import main

main()
