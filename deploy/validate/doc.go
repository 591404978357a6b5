// Package validate holds strict, typed checks of Shoal's deployment
// artefacts: the Helm chart, the Argo Rollouts canary, the Prometheus
// rules and Grafana dashboards, the production Compose file and the
// Dockerfile. It is a separate Go module so that the heavy Kubernetes,
// Helm and Prometheus dependencies stay out of the shoal binary.
package validate
