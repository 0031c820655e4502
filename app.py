"""Start the learner chat: ``python app.py [options]`` is the same as ``tutor serve [options]``."""

import sys

from tutor.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
