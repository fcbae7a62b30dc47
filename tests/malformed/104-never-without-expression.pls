# Malformed: never with nothing after it.
never
