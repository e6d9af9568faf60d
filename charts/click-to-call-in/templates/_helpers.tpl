{{/* The chart name, or nameOverride. */}}
{{- define "c2c.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "<release>-<chart>" (or fullnameOverride), at most 45 characters so suffixes fit in 63. */}}
{{- define "c2c.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Name of a cluster-scoped object: "<namespace>-<fullname>", so two releases of the same name in
different namespaces never share one.
*/}}
{{- define "c2c.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "c2c.fullname" .) | trunc 200 | trimSuffix "-" -}}
{{- end -}}

{{- define "c2c.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "c2c.labels" -}}
helm.sh/chart: {{ include "c2c.chart" . }}
app.kubernetes.io/name: {{ include "c2c.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: click-to-call-in
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "operator"). */}}
{{- define "c2c.selectorLabels" -}}
app.kubernetes.io/name: {{ include "c2c.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Labels of one component's objects; call with (dict "root" $ "component" "operator"). */}}
{{- define "c2c.componentLabels" -}}
{{ include "c2c.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image reference; call with the component's image values and the root context. */}}
{{- define "c2c.image" -}}
{{- $image := .image -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default .root.Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "c2c.operator.fullname" -}}
{{- printf "%s-operator" (include "c2c.fullname" .) -}}
{{- end -}}

{{- define "c2c.allocator.fullname" -}}
{{- printf "%s-allocator" (include "c2c.fullname" .) -}}
{{- end -}}

{{- define "c2c.webhook.fullname" -}}
{{- printf "%s-webhook" (include "c2c.fullname" .) -}}
{{- end -}}

{{- define "c2c.webhook.certSecretName" -}}
{{- default (printf "%s-webhook-tls" (include "c2c.fullname" .)) .Values.webhook.certSecretName -}}
{{- end -}}

{{- define "c2c.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create -}}
{{- default (include "c2c.operator.fullname" .) .Values.operator.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.operator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "c2c.allocator.serviceAccountName" -}}
{{- if .Values.allocator.serviceAccount.create -}}
{{- default (include "c2c.allocator.fullname" .) .Values.allocator.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.allocator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Pod security context of the restricted Pod Security Standard. */}}
{{- define "c2c.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container security context of the restricted Pod Security Standard. */}}
{{- define "c2c.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Default affinity: prefer spreading one component's pods over nodes. */}}
{{- define "c2c.spreadAffinity" -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "c2c.selectorLabels" . | nindent 12 }}
{{- end -}}

{{/* Cross-value rules the JSON schema cannot say clearly. */}}
{{- define "c2c.validate" -}}
{{- if not .Values.nats.url -}}
{{- if .Values.allocator.autoscaling.enabled -}}
{{- fail "allocator.autoscaling.enabled needs nats.url: without NATS the allocator keeps requests in memory and must run as one replica (set nats.url, or allocator.autoscaling.enabled=false and allocator.replicas=1)" -}}
{{- end -}}
{{- if gt (int .Values.allocator.replicas) 1 -}}
{{- fail "allocator.replicas > 1 needs nats.url: without NATS the allocator keeps requests in memory and must run as one replica (set nats.url, or allocator.replicas=1)" -}}
{{- end -}}
{{- end -}}
{{- if and (gt (int .Values.operator.replicas) 1) (not .Values.operator.leaderElection.enabled) -}}
{{- fail "operator.replicas > 1 needs operator.leaderElection.enabled=true: two operators reconciling at once would fight over every group" -}}
{{- end -}}
{{- if and .Values.allocator.autoscaling.enabled (lt (int .Values.allocator.autoscaling.maxReplicas) (int .Values.allocator.autoscaling.minReplicas)) -}}
{{- fail "allocator.autoscaling.maxReplicas must be at least allocator.autoscaling.minReplicas" -}}
{{- end -}}
{{- end -}}

{{/*
Labels and runbook link of one alert of the PrometheusRule; the caller adds summary and description
under "annotations". Call with (dict "root" $ "alert" <its values> "name" "<alert name>"). The
runbook is the section of docs/operations.md titled with the alert's name.
*/}}
{{- define "c2c.alertMeta" -}}
{{- $rule := .root.Values.metrics.prometheusRule -}}
labels:
  severity: {{ .alert.severity }}
  {{- with $rule.alertLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  runbook_url: {{ printf "%s#%s" (default "docs/operations.md" $rule.runbookBaseUrl) (lower .name) }}
{{- end -}}
