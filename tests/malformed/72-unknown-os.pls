# Malformed: an OS name no profile has (found by check, before anything runs). See the .expected sidecar.
os linux,plan9
c = socket(inet, stream)
