# MetalLB controller (scripts/lab/recipes/metallb.sh), tagged as the module's metallb-native manifest names it.
ARG BASE
FROM ${BASE}
COPY metallb-controller /controller
USER 65534
ENTRYPOINT ["/controller"]
