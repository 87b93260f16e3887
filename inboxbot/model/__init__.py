"""Plain data every stage shares: the decision, the facts, identifiers, working time."""
