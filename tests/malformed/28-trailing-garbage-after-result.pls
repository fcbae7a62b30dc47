# Malformed: trailing garbage after result. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
bind(a, 127.0.0.1:7000) = 0 0
