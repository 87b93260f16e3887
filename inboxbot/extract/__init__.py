"""The typed mail → facts: who writes, which company, which requisites and region. Pure."""
