from inboxbot.cli import main

main()
