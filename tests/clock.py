"""The moments tests freeze the clock at, named once (each file used to write its own).

Every one is UTC and written out: a test's expected values are computed by hand from
these, never by the code under test.
"""

from datetime import datetime, timezone

UTC = timezone.utc

#: 15:00 UTC on a Tuesday: the demo's daily traffic peak (the hardest time for "calm is OK")
PEAK = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
#: noon the same day: inside business hours (channels routed by hours are active)
NOON = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
#: 21:00 the same day: outside business hours
EVENING = datetime(2025, 3, 4, 21, 0, tzinfo=UTC)
#: the frozen demo of the UI tests and the Wazuh fixtures
FROZEN = datetime(2026, 11, 28, 14, 0, 0, tzinfo=UTC)
#: the Elasticsearch stand-in's indices are dated around this
ES_DAY = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
