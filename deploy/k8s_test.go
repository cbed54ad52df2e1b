package deploy_test

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The parts of the Kubernetes objects that the checks read. Fields the
// checks do not need are left out.

type meta struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
}

type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   meta   `yaml:"metadata"`
	file       string
}

func (o *object) String() string { return fmt.Sprintf("%s: %s %s", o.file, o.Kind, o.Metadata.Name) }

type selector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type deployment struct {
	object `yaml:",inline"`
	Spec   struct {
		Replicas *int     `yaml:"replicas"`
		Selector selector `yaml:"selector"`
		Template struct {
			Metadata meta    `yaml:"metadata"`
			Spec     podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	SecurityContext               *securityContext `yaml:"securityContext"`
	TerminationGracePeriodSeconds *int             `yaml:"terminationGracePeriodSeconds"`
	Containers                    []container      `yaml:"containers"`
	Volumes                       []volume         `yaml:"volumes"`
}

type securityContext struct {
	RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
	RunAsUser                *int  `yaml:"runAsUser"`
	ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
}

type container struct {
	Name            string            `yaml:"name"`
	Image           string            `yaml:"image"`
	Command         []string          `yaml:"command"`
	Args            []string          `yaml:"args"`
	Ports           []containerPort   `yaml:"ports"`
	Env             []envVar          `yaml:"env"`
	EnvFrom         []envFrom         `yaml:"envFrom"`
	LivenessProbe   *probe            `yaml:"livenessProbe"`
	ReadinessProbe  *probe            `yaml:"readinessProbe"`
	StartupProbe    *probe            `yaml:"startupProbe"`
	SecurityContext *securityContext  `yaml:"securityContext"`
	VolumeMounts    []volumeMount     `yaml:"volumeMounts"`
	Resources       map[string]limits `yaml:"resources"`
}

type limits map[string]string

type containerPort struct {
	Name          string `yaml:"name"`
	ContainerPort int    `yaml:"containerPort"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
		ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
	} `yaml:"valueFrom"`
}

type keyRef struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

type envFrom struct {
	SecretRef    *keyRef `yaml:"secretRef"`
	ConfigMapRef *keyRef `yaml:"configMapRef"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"` // a number or a port name
	} `yaml:"httpGet"`
	Exec *struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	SubPath   string `yaml:"subPath"`
}

type volume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name  string    `yaml:"name"`
		Items []keyPath `yaml:"items"`
	} `yaml:"configMap"`
	Secret *struct {
		SecretName string    `yaml:"secretName"`
		Items      []keyPath `yaml:"items"`
	} `yaml:"secret"`
}

type keyPath struct {
	Key  string `yaml:"key"`
	Path string `yaml:"path"`
}

type service struct {
	object `yaml:",inline"`
	Spec   struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type hpa struct {
	object `yaml:",inline"`
	Spec   struct {
		ScaleTargetRef struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Name       string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		MinReplicas *int `yaml:"minReplicas"`
		MaxReplicas int  `yaml:"maxReplicas"`
		Metrics     []struct {
			Type     string `yaml:"type"`
			Resource *struct {
				Name string `yaml:"name"`
			} `yaml:"resource"`
		} `yaml:"metrics"`
	} `yaml:"spec"`
}

type pdb struct {
	object `yaml:",inline"`
	Spec   struct {
		Selector       selector `yaml:"selector"`
		MinAvailable   *string  `yaml:"minAvailable"`
		MaxUnavailable *string  `yaml:"maxUnavailable"`
	} `yaml:"spec"`
}

type configMap struct {
	object `yaml:",inline"`
	Data   map[string]string `yaml:"data"`
}

type secret struct {
	object     `yaml:",inline"`
	StringData map[string]string `yaml:"stringData"`
	Data       map[string]string `yaml:"data"`
}

// manifests is everything under k8s/, by kind and name.
type manifests struct {
	objects     []*object
	deployments map[string]*deployment
	services    map[string]*service
	hpas        map[string]*hpa
	pdbs        map[string]*pdb
	configMaps  map[string]*configMap
	secrets     map[string]*secret
}

// apiVersions are the API versions the manifests must use, by kind: the
// stable ones every supported Kubernetes serves.
var apiVersions = map[string]string{
	"Deployment":              "apps/v1",
	"Service":                 "v1",
	"ConfigMap":               "v1",
	"Secret":                  "v1",
	"HorizontalPodAutoscaler": "autoscaling/v2",
	"PodDisruptionBudget":     "policy/v1",
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := &manifests{
		deployments: map[string]*deployment{}, services: map[string]*service{},
		hpas: map[string]*hpa{}, pdbs: map[string]*pdb{},
		configMaps: map[string]*configMap{}, secrets: map[string]*secret{},
	}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		for _, doc := range readDocs(t, f) {
			var o object
			if err := doc.Decode(&o); err != nil {
				t.Fatalf("%s:%d: %v", f, doc.Line, err)
			}
			o.file = fmt.Sprintf("%s:%d", f, doc.Content[0].Line)
			var target any
			switch o.Kind {
			case "Deployment":
				target = decodeInto(t, doc, &o, m.deployments)
			case "Service":
				target = decodeInto(t, doc, &o, m.services)
			case "HorizontalPodAutoscaler":
				target = decodeInto(t, doc, &o, m.hpas)
			case "PodDisruptionBudget":
				target = decodeInto(t, doc, &o, m.pdbs)
			case "ConfigMap":
				target = decodeInto(t, doc, &o, m.configMaps)
			case "Secret":
				target = decodeInto(t, doc, &o, m.secrets)
			}
			if target == nil {
				t.Errorf("%s: kind %q is not one the checks know; add it to apiVersions and loadManifests", o.file, o.Kind)
			}
			m.objects = append(m.objects, &o)
		}
	}
	return m
}

// decodeInto decodes doc as a T and files it under its name.
func decodeInto[T any, P interface {
	*T
	base() *object
}](t *testing.T, doc *yaml.Node, o *object, into map[string]P) P {
	t.Helper()
	v := P(new(T))
	if err := doc.Decode(v); err != nil {
		t.Fatalf("%s: %v", o.file, err)
	}
	v.base().file = o.file
	if _, dup := into[o.Metadata.Name]; dup {
		t.Errorf("%s: a second %s named %q", o.file, o.Kind, o.Metadata.Name)
	}
	into[o.Metadata.Name] = v
	return v
}

func (o *object) base() *object { return o }

// dnsNameRE is a DNS-1123 subdomain, what most object names must be.
var dnsNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func TestManifestsHaveRequiredFields(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	if len(m.objects) == 0 {
		t.Fatal("no objects under k8s/")
	}
	for _, o := range m.objects {
		if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
			t.Errorf("%s: apiVersion, kind and metadata.name are required", o)
		}
		if want, ok := apiVersions[o.Kind]; ok && o.APIVersion != want {
			t.Errorf("%s: apiVersion %q, want %q", o, o.APIVersion, want)
		}
		if !dnsNameRE.MatchString(o.Metadata.Name) || len(o.Metadata.Name) > 63 {
			t.Errorf("%s: name %q is not a DNS label", o, o.Metadata.Name)
		}
		if o.Metadata.Namespace != "" {
			t.Errorf("%s: names namespace %q; the manifests must work in any namespace", o, o.Metadata.Namespace)
		}
	}
	for kind, n := range map[string]int{
		"Deployment": len(m.deployments), "Service": len(m.services), "HorizontalPodAutoscaler": len(m.hpas),
		"PodDisruptionBudget": len(m.pdbs), "ConfigMap": len(m.configMaps), "Secret": len(m.secrets),
	} {
		if n == 0 {
			t.Errorf("no %s under k8s/", kind)
		}
	}
	for name, cm := range m.configMaps {
		for k := range cm.Data {
			if !configMapKeyRE.MatchString(k) {
				t.Errorf("%s: ConfigMap %s: key %q may only hold letters, digits, '-', '_' and '.'", cm.file, name, k)
			}
		}
	}
	for name, s := range m.secrets {
		for k := range s.StringData {
			if !configMapKeyRE.MatchString(k) {
				t.Errorf("%s: Secret %s: key %q may only hold letters, digits, '-', '_' and '.'", s.file, name, k)
			}
		}
	}
}

// TestKustomizationListsManifests keeps kustomization.yaml in step with
// the files beside it. secret.yaml alone stays out: applying placeholders
// again would overwrite the real credentials.
func TestKustomizationListsManifests(t *testing.T) {
	t.Parallel()
	docs := readDocs(t, "k8s/kustomization.yaml")
	if len(docs) != 1 {
		t.Fatalf("k8s/kustomization.yaml: %d documents, want 1", len(docs))
	}
	var k struct {
		APIVersion string   `yaml:"apiVersion"`
		Kind       string   `yaml:"kind"`
		Namespace  string   `yaml:"namespace"`
		Resources  []string `yaml:"resources"`
		Images     []struct {
			Name string `yaml:"name"`
		} `yaml:"images"`
	}
	if err := docs[0].Decode(&k); err != nil {
		t.Fatal(err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("k8s/kustomization.yaml: apiVersion %q kind %q", k.APIVersion, k.Kind)
	}
	files, _ := filepath.Glob("k8s/*.yaml")
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && b != "secret.yaml" {
			want = append(want, b)
		}
	}
	got := slices.Clone(k.Resources)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("k8s/kustomization.yaml: resources %v, want %v", got, want)
	}
	m := loadManifests(t)
	for _, img := range k.Images {
		used := false
		for _, d := range m.deployments {
			for _, c := range d.Spec.Template.Spec.Containers {
				used = used || imageName(c.Image) == img.Name
			}
		}
		if !used {
			t.Errorf("k8s/kustomization.yaml: image %q is used by no container", img.Name)
		}
	}
}

// imageName returns an image reference without its tag or digest.
func imageName(ref string) string {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	return ref
}

// subset reports whether every label in sel is in labels.
func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// selected returns the Deployments whose pods sel selects.
func (m *manifests) selected(sel map[string]string) []string {
	var names []string
	for name, d := range m.deployments {
		if len(sel) > 0 && subset(sel, d.Spec.Template.Metadata.Labels) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// mode returns the ahead command a container runs.
func mode(c container) string {
	if len(c.Command) > 0 || len(c.Args) == 0 {
		return ""
	}
	return c.Args[0]
}

// byMode returns the Deployment that runs mode.
func (m *manifests) byMode(t *testing.T, want string) *deployment {
	t.Helper()
	for _, d := range m.deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			if mode(c) == want {
				return d
			}
		}
	}
	t.Fatalf("no Deployment runs `ahead %s`", want)
	return nil
}

func TestDeployments(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	m.byMode(t, "api")
	m.byMode(t, "worker")
	for _, d := range m.deployments {
		sel := d.Spec.Selector.MatchLabels
		if len(sel) == 0 {
			t.Errorf("%s: spec.selector.matchLabels is empty", d.file)
		} else if !subset(sel, d.Spec.Template.Metadata.Labels) {
			t.Errorf("%s: selector %v does not match the pod labels %v", d.file, sel, d.Spec.Template.Metadata.Labels)
		}
		if others := m.selected(sel); len(others) != 1 {
			t.Errorf("%s: selector %v selects the pods of %v; it must select only its own", d.file, sel, others)
		}
		pod := d.Spec.Template.Spec
		if len(pod.Containers) == 0 {
			t.Errorf("%s: no containers", d.file)
		}
		for _, c := range pod.Containers {
			where := fmt.Sprintf("%s: container %q", d.file, c.Name)
			if c.Name == "" || c.Image == "" {
				t.Errorf("%s: name and image are required", where)
			}
			if md := mode(c); !slices.Contains(modes, md) {
				t.Errorf("%s: args %v, want one of %v (the image's entrypoint is ahead)", where, c.Args, modes)
			}
			checkSecurity(t, where, pod.SecurityContext, c.SecurityContext)
			for _, r := range []string{"cpu", "memory"} {
				if c.Resources["requests"][r] == "" {
					t.Errorf("%s: resources.requests.%s is required (the autoscaler works from requests)", where, r)
				}
			}
			if c.Resources["limits"]["memory"] == "" {
				t.Errorf("%s: resources.limits.memory is required", where)
			}
			checkProbes(t, where, c)
			for _, vm := range c.VolumeMounts {
				if !slices.ContainsFunc(pod.Volumes, func(v volume) bool { return v.Name == vm.Name }) {
					t.Errorf("%s: volume mount %q names no volume", where, vm.Name)
				}
				if vm.SubPath != "" {
					t.Errorf("%s: volume mount %q uses subPath, which never sees ConfigMap updates", where, vm.Name)
				}
			}
		}
	}
}

// checkSecurity requires a non-root user, a read-only root file system and
// no privilege escalation, set on the pod or the container.
func checkSecurity(t *testing.T, where string, pod, c *securityContext) {
	t.Helper()
	isTrue := func(get func(*securityContext) *bool) bool {
		for _, s := range []*securityContext{c, pod} {
			if s != nil && get(s) != nil {
				return *get(s)
			}
		}
		return false
	}
	if !isTrue(func(s *securityContext) *bool { return s.RunAsNonRoot }) {
		t.Errorf("%s: securityContext.runAsNonRoot must be true", where)
	}
	for _, s := range []*securityContext{c, pod} {
		if s != nil && s.RunAsUser != nil && *s.RunAsUser == 0 {
			t.Errorf("%s: securityContext.runAsUser is 0 (root)", where)
		}
	}
	if c == nil || c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem {
		t.Errorf("%s: securityContext.readOnlyRootFilesystem must be true", where)
	}
	if c == nil || c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		t.Errorf("%s: securityContext.allowPrivilegeEscalation must be false", where)
	}
}

// checkProbes requires /healthz for liveness and /readyz for readiness on
// a port the container declares.
func checkProbes(t *testing.T, where string, c container) {
	t.Helper()
	for _, p := range []struct {
		name, path string
		probe      *probe
	}{
		{"livenessProbe", "/healthz", c.LivenessProbe},
		{"readinessProbe", "/readyz", c.ReadinessProbe},
	} {
		if p.probe == nil {
			t.Errorf("%s: %s is required", where, p.name)
			continue
		}
		if p.probe.HTTPGet == nil {
			t.Errorf("%s: %s must be an httpGet on %s", where, p.name, p.path)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s: %s path %q, want %q", where, p.name, p.probe.HTTPGet.Path, p.path)
		}
		if containerPortNumber(c, p.probe.HTTPGet.Port) == 0 {
			t.Errorf("%s: %s port %q is not a port of the container", where, p.name, p.probe.HTTPGet.Port)
		}
	}
	if p := c.StartupProbe; p != nil && p.HTTPGet != nil && containerPortNumber(c, p.HTTPGet.Port) == 0 {
		t.Errorf("%s: startupProbe port %q is not a port of the container", where, p.HTTPGet.Port)
	}
}

// containerPortNumber resolves a port name or number to a declared port of
// c; 0 when there is none.
func containerPortNumber(c container, p string) int {
	for _, cp := range c.Ports {
		if cp.Name == p || strconv.Itoa(cp.ContainerPort) == p {
			return cp.ContainerPort
		}
	}
	return 0
}

func TestServiceSelectsTheAPI(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	api := m.byMode(t, "api")
	for name, s := range m.services {
		got := m.selected(s.Spec.Selector)
		if !slices.Equal(got, []string{api.Metadata.Name}) {
			t.Errorf("%s: Service %s selects the pods of %v, want only %s", s.file, name, got, api.Metadata.Name)
			continue
		}
		if len(s.Spec.Ports) == 0 {
			t.Errorf("%s: Service %s has no ports", s.file, name)
		}
		for _, p := range s.Spec.Ports {
			target := p.TargetPort
			if target == "" {
				target = strconv.Itoa(p.Port)
			}
			if containerPortNumber(api.Spec.Template.Spec.Containers[0], target) == 0 {
				t.Errorf("%s: Service %s port %q targets %q, which the API container does not declare", s.file, name, p.Name, target)
			}
		}
	}
}

func TestAutoscalersAndBudgets(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	scaled := map[string]*hpa{}
	for name, h := range m.hpas {
		ref := h.Spec.ScaleTargetRef
		if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || m.deployments[ref.Name] == nil {
			t.Errorf("%s: HPA %s scales %s %s %q, which is not a Deployment here", h.file, name, ref.APIVersion, ref.Kind, ref.Name)
			continue
		}
		if scaled[ref.Name] != nil {
			t.Errorf("%s: a second HPA for Deployment %s", h.file, ref.Name)
		}
		scaled[ref.Name] = h
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
			t.Errorf("%s: HPA %s needs 1 <= minReplicas <= maxReplicas", h.file, name)
		}
		cpu := slices.ContainsFunc(h.Spec.Metrics, func(mt struct {
			Type     string `yaml:"type"`
			Resource *struct {
				Name string `yaml:"name"`
			} `yaml:"resource"`
		}) bool {
			return mt.Type == "Resource" && mt.Resource != nil && mt.Resource.Name == "cpu"
		})
		if !cpu {
			t.Errorf("%s: HPA %s has no cpu Resource metric", h.file, name)
		}
	}
	budgeted := map[string]*pdb{}
	for name, b := range m.pdbs {
		got := m.selected(b.Spec.Selector.MatchLabels)
		if len(got) != 1 {
			t.Errorf("%s: PDB %s selects the pods of %v, want exactly one Deployment", b.file, name, got)
			continue
		}
		if (b.Spec.MinAvailable == nil) == (b.Spec.MaxUnavailable == nil) {
			t.Errorf("%s: PDB %s needs exactly one of minAvailable and maxUnavailable", b.file, name)
		}
		budgeted[got[0]] = b
		// A budget that keeps every replica up blocks node drains.
		if h := scaled[got[0]]; h != nil && b.Spec.MinAvailable != nil && h.Spec.MinReplicas != nil {
			if n, err := strconv.Atoi(*b.Spec.MinAvailable); err == nil && n >= *h.Spec.MinReplicas {
				t.Errorf("%s: PDB %s minAvailable %d leaves no pod to evict at %d replicas", b.file, name, n, *h.Spec.MinReplicas)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(m.deployments)) {
		if scaled[name] == nil {
			t.Errorf("Deployment %s has no HorizontalPodAutoscaler", name)
		}
		if budgeted[name] == nil {
			t.Errorf("Deployment %s has no PodDisruptionBudget", name)
		}
	}
}

// TestReferencesResolve checks every Secret and ConfigMap a Deployment
// names, and every AHEAD_… variable it sets.
func TestReferencesResolve(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	for _, d := range m.deployments {
		pod := d.Spec.Template.Spec
		for _, v := range pod.Volumes {
			where := fmt.Sprintf("%s: volume %q", d.file, v.Name)
			switch {
			case v.ConfigMap != nil:
				cm := m.configMaps[v.ConfigMap.Name]
				if cm == nil {
					t.Errorf("%s: no ConfigMap %q", where, v.ConfigMap.Name)
					continue
				}
				checkItems(t, where, v.ConfigMap.Items, func(k string) bool { _, ok := cm.Data[k]; return ok })
			case v.Secret != nil:
				s := m.secrets[v.Secret.SecretName]
				if s == nil {
					t.Errorf("%s: no Secret %q", where, v.Secret.SecretName)
					continue
				}
				checkItems(t, where, v.Secret.Items, s.has)
			}
		}
		for _, c := range pod.Containers {
			where := fmt.Sprintf("%s: container %q", d.file, c.Name)
			seen := map[string]bool{}
			for _, e := range c.Env {
				if seen[e.Name] {
					t.Errorf("%s: env %s set twice", where, e.Name)
				}
				seen[e.Name] = true
				checkEnvName(t, where, e.Name)
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					if s := m.secrets[r.Name]; s == nil || !s.has(r.Key) {
						t.Errorf("%s: env %s: Secret %q has no key %q", where, e.Name, r.Name, r.Key)
					}
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					if cm := m.configMaps[r.Name]; cm == nil || cm.Data[r.Key] == "" {
						t.Errorf("%s: env %s: ConfigMap %q has no key %q", where, e.Name, r.Name, r.Key)
					}
				}
			}
			for _, e := range c.EnvFrom {
				if e.SecretRef != nil && m.secrets[e.SecretRef.Name] == nil {
					t.Errorf("%s: envFrom: no Secret %q", where, e.SecretRef.Name)
				}
				if e.ConfigMapRef != nil && m.configMaps[e.ConfigMapRef.Name] == nil {
					t.Errorf("%s: envFrom: no ConfigMap %q", where, e.ConfigMapRef.Name)
				}
			}
		}
	}
	for name, s := range m.secrets {
		if len(s.StringData)+len(s.Data) == 0 {
			t.Errorf("%s: Secret %s is empty", s.file, name)
		}
	}
}

func (s *secret) has(k string) bool {
	_, a := s.StringData[k]
	_, b := s.Data[k]
	return a || b
}

// checkItems checks that every item names an existing key and a relative
// path, and no path twice.
func checkItems(t *testing.T, where string, items []keyPath, has func(string) bool) {
	t.Helper()
	paths := map[string]bool{}
	for _, it := range items {
		if !has(it.Key) {
			t.Errorf("%s: item key %q is not in the object", where, it.Key)
		}
		if it.Path == "" || path.IsAbs(it.Path) || strings.Contains(it.Path, "..") {
			t.Errorf("%s: item %q: path %q must be relative, without ..", where, it.Key, it.Path)
		}
		if paths[it.Path] {
			t.Errorf("%s: path %q used twice", where, it.Path)
		}
		paths[it.Path] = true
	}
}

// podEnv returns the environment a container sees, resolving Secret and
// ConfigMap references to the values in the manifests.
func (m *manifests) podEnv(c container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			if s := m.secrets[e.ValueFrom.SecretKeyRef.Name]; s != nil {
				env[e.Name] = s.StringData[e.ValueFrom.SecretKeyRef.Key]
			}
		case e.ValueFrom.ConfigMapKeyRef != nil:
			if cm := m.configMaps[e.ValueFrom.ConfigMapKeyRef.Name]; cm != nil {
				env[e.Name] = cm.Data[e.ValueFrom.ConfigMapKeyRef.Key]
			}
		}
	}
	return env
}

// mounted returns the ConfigMap volume mounted at dir, with its items.
func mounted(pod podSpec, c container, dir string) (string, []keyPath, bool) {
	for _, vm := range c.VolumeMounts {
		if path.Clean(vm.MountPath) != path.Clean(dir) {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil {
				return v.ConfigMap.Name, v.ConfigMap.Items, true
			}
		}
	}
	return "", nil, false
}

// TestPodsStart assembles each container's configuration from its
// ConfigMap, Secret and environment, and its flow folder from the flows
// ConfigMap, and loads both as ahead does at start-up.
func TestPodsStart(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	for _, name := range slices.Sorted(maps.Keys(m.deployments)) {
		d := m.deployments[name]
		pod := d.Spec.Template.Spec
		for _, c := range pod.Containers {
			where := fmt.Sprintf("%s: container %q", d.file, c.Name)
			md := mode(c)
			env := m.podEnv(c)
			file := env["AHEAD_CONFIG"]
			if file == "" {
				t.Errorf("%s: AHEAD_CONFIG is not set", where)
				continue
			}
			cmName, items, ok := mounted(pod, c, path.Dir(file))
			if !ok {
				t.Errorf("%s: AHEAD_CONFIG %s is not in a mounted ConfigMap", where, file)
				continue
			}
			key := path.Base(file)
			for _, it := range items {
				if it.Path == key {
					key = it.Key
				}
			}
			body, ok := m.configMaps[cmName].Data[key]
			if !ok {
				t.Errorf("%s: ConfigMap %s has no %s for AHEAD_CONFIG", where, cmName, key)
				continue
			}
			// The operator replaces the Twilio placeholders, which ahead
			// refuses, with the account's SID and token.
			body = strings.ReplaceAll(body, "ACchange-me-account-sid-00000000000", "AC"+strings.Repeat("0", 32))
			if strings.Contains(env["AHEAD_TWILIO_AUTH_TOKEN"], "change-me") {
				env["AHEAD_TWILIO_AUTH_TOKEN"] = strings.Repeat("0", 32)
			}
			cfg := loadConfig(t, where, body, env, md)

			// The flow folder: a ConfigMap with the templates in templates/.
			flowsCM, items, ok := mounted(pod, c, cfg.Flows)
			if !ok {
				t.Errorf("%s: flows %s is not a mounted ConfigMap", where, cfg.Flows)
				continue
			}
			cm := m.configMaps[flowsCM]
			projected := map[string]bool{}
			for _, it := range items {
				projected[it.Key] = true
				want := it.Key
				if strings.HasSuffix(it.Key, ".tmpl") {
					want = "templates/" + it.Key
				}
				if it.Path != want {
					t.Errorf("%s: flows item %q lands at %q, want %q", where, it.Key, it.Path, want)
				}
			}
			if len(items) > 0 {
				for k := range cm.Data {
					if !projected[k] {
						t.Errorf("%s: flows volume leaves out key %q of ConfigMap %s: list it in items", where, k, flowsCM)
					}
				}
			}
			loadFlows(t, where, materialize(t, cm, items))

			// Ports: the probes and the Service reach what ahead listens on.
			var addr string
			switch md {
			case "api", "serve":
				addr = cfg.API.Addr
			case "worker":
				addr = cfg.Worker.Addr
				if addr == "" {
					t.Errorf("%s: worker.addr is empty, so the worker's probes have nothing to reach", where)
					continue
				}
				if g := pod.TerminationGracePeriodSeconds; g == nil || float64(*g) <= cfg.Worker.ShutdownTimeout.Duration().Seconds() {
					t.Errorf("%s: terminationGracePeriodSeconds must exceed worker.shutdown_timeout (%s)", where, cfg.Worker.ShutdownTimeout)
				}
			}
			p := port(t, addr)
			if containerPortNumber(c, p) == 0 {
				t.Errorf("%s: ahead listens on %s, which the container does not declare", where, addr)
			}
			if c.LivenessProbe != nil && c.LivenessProbe.HTTPGet != nil && strconv.Itoa(containerPortNumber(c, c.LivenessProbe.HTTPGet.Port)) != p {
				t.Errorf("%s: livenessProbe does not reach port %s", where, p)
			}
		}
	}
}

// TestSecretHoldsPlaceholders keeps real credentials out of secret.yaml.
func TestSecretHoldsPlaceholders(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	for name, s := range m.secrets {
		if len(s.Data) > 0 {
			t.Errorf("%s: Secret %s uses data; write placeholders as stringData", s.file, name)
		}
		for k, v := range s.StringData {
			if !strings.Contains(v, "change-me") {
				t.Errorf("%s: Secret %s key %s must be a change-me placeholder", s.file, name, k)
			}
		}
	}
}
