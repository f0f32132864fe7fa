"""``python -m ark.operator``."""

from ark.operator import main

main()
