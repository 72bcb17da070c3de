# The harness (load engine as a pod, for the in-cluster ClusterIP path), for users with a container registry
# (build from the repository root):  docker build -f scripts/lab/images/harness.Dockerfile -t lossless/harness:dev .
# The lab builds the same image offline from a Debian root filesystem (harness/src/lab/app-image.ts).
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY harness/src ./harness/src
COPY workloads ./workloads
# the pinned versions `run`/`scenario` read (the registry's etcd image)
COPY scripts/lab/versions.env ./scripts/lab/versions.env
ENV NODE_ENV=production
ENTRYPOINT ["node", "--import", "tsx", "harness/src/cli.ts"]
