"""What the bot remembers between polls: messages, routing history, requests."""
