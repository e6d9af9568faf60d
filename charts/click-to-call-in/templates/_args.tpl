{{/*
Command-line arguments of the two programs. These are the only places that know their flags:
operator/src/config.ts and allocator/src/config.ts (docs/operator.md, docs/allocator.md).
*/}}

{{- define "c2c.webhook.certDir" -}}
/var/run/click-to-call-in/webhook-tls
{{- end -}}

{{- define "c2c.webhook.configurationName" -}}
{{- include "c2c.clusterName" . -}}
{{- end -}}

{{- define "c2c.operator.args" -}}
- --log-level={{ .Values.operator.logLevel }}
- --health-port={{ .Values.operator.metricsPort }}
- --metrics-port={{ .Values.operator.metricsPort }}
- --leader-elect={{ .Values.operator.leaderElection.enabled }}
- --lease-name={{ include "c2c.operator.fullname" . }}
{{- if .Values.webhook.enabled }}
- --webhook-port={{ .Values.webhook.port }}
{{- if .Values.webhook.certManager.enabled }}
- --webhook-cert-dir={{ include "c2c.webhook.certDir" . }}
{{- else }}
- --webhook-self-managed
- --webhook-secret-name={{ include "c2c.webhook.certSecretName" . }}
- --webhook-service-name={{ include "c2c.webhook.fullname" . }}
- --webhook-configuration-name={{ include "c2c.webhook.configurationName" . }}
{{- end }}
{{- if .Values.webhook.clientAuth.caConfigMap }}
- --webhook-client-ca-file=/var/run/click-to-call-in/webhook-client-ca/{{ .Values.webhook.clientAuth.caKey }}
{{- with .Values.webhook.clientAuth.names }}
- --webhook-client-names={{ join "," . }}
{{- end }}
{{- end }}
{{- else }}
- --no-webhook
{{- end }}
{{- end -}}

{{- define "c2c.allocator.args" -}}
- --log-level={{ .Values.allocator.logLevel }}
- --host=0.0.0.0
- --port={{ .Values.allocator.port }}
- --metrics-port={{ .Values.allocator.metricsPort }}
- --kubernetes
{{- with .Values.allocator.watchNamespace }}
- --namespace={{ . }}
{{- end }}
{{- if .Values.nats.url }}
- --nats-url={{ .Values.nats.url }}
- --nats-bucket={{ .Values.nats.kv.bucket }}
- --nats-replicas={{ .Values.nats.kv.replicas }}
{{- if .Values.nats.credentials.existingSecret }}
- --nats-creds-file=/var/run/click-to-call-in/nats/{{ .Values.nats.credentials.key }}
{{- end }}
{{- if .Values.nats.tls.caSecret }}
- --nats-ca-file=/var/run/click-to-call-in/nats-ca/ca.crt
{{- end }}
{{- end }}
{{- if include "c2c.allocator.apiKeysSecret" . }}
- --api-keys-file=/var/run/click-to-call-in/api-keys/{{ .Values.allocator.apiKeys.key }}
{{- else }}
- --insecure-open
{{- end }}
- --drain-delay-ms={{ mul .Values.allocator.drainDelaySeconds 1000 }}
- --no-print-examples
{{- end -}}

{{/* The Secret holding the allocator's API keys file, if any. */}}
{{- define "c2c.allocator.apiKeysSecret" -}}
{{- if .Values.allocator.apiKeys.existingSecret -}}
{{- .Values.allocator.apiKeys.existingSecret -}}
{{- else if .Values.allocator.apiKeys.keys -}}
{{- printf "%s-api-keys" (include "c2c.allocator.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "c2c.webhook.path" -}}
/validate
{{- end -}}
