"""The check stage: plan the fewest, cheapest queries for the selected rules (:mod:`.planner`),
run them on read-only connections (:mod:`.executor`), and turn what went wrong into a status and a
one-line reason in one place (:mod:`.outcome`)."""
