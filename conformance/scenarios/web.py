"""placeholder"""

SCENARIOS: tuple[object, ...] = ()
