# The enrichment image with its NER models inside, for Kubernetes: pods scaled by KEDA start on
# any node, so the models travel in the image rather than on a shared volume. Build it from the
# directory scripts/train_ner.py wrote (about 40 MB):
#
#   docker build --build-arg SERVICE=enrichment -t newswire-enrichment:0.1.0 .
#   docker build -f deploy/k8s/enrichment-models.Dockerfile \
#       -t newswire-enrichment-models:0.1.0 ~/.cache/newswire/models
ARG BASE=newswire-enrichment:0.1.0
FROM ${BASE}
COPY --chown=10001:10001 *.crfsuite *.gaz.json *.clusters.json /srv/newswire/models/
