# 100000m (69 days) per wait: each alone is within the 64-bit clock, but the run covered
# months of virtual time with no limit. Now: a located error at the first wait past 7 days.
wait 100000m
wait 100000m
wait 100000m
