# MetalLB speaker (L2 only; no FRR), tagged as the module's metallb-native manifest names it.
ARG BASE
FROM ${BASE}
COPY metallb-speaker /speaker
ENTRYPOINT ["/speaker"]
