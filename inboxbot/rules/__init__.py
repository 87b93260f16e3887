"""rules.toml → typed, validated rules, with Russian errors that name the line and the fix."""
