// Package deploy holds ahead's deployment files and their static checks:
// the Dockerfile, the Docker Compose file and its configuration, and the
// Kubernetes manifests under k8s/. docs/deploy.md explains them.
//
// The package has no code. Its tests parse every file and check what a
// cluster or the Docker daemon would only find out at run time: that
// selectors select the right pods, that every AHEAD_… variable names a real
// configuration key, that every Secret and ConfigMap reference resolves,
// that the configuration the manifests assemble loads and validates, and
// that the flows ConfigMap holds the experience classics (flows and
// templates) and loads.
// Run `go test ./deploy -update` to rewrite k8s/configmap-flows.yaml from
// flows/classics.
//
// It must not be imported, and the files must not hold real secrets: the
// Secret and the compose environment carry placeholders only.
package deploy
