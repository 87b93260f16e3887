"""Mail + facts + rules + history → a decision with its trail. Pure: no I/O, no clock."""
