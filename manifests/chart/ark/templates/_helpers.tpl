{{/* Labels of the operator's objects (as in manifests/). */}}
{{- define "ark.labels" -}}
app.kubernetes.io/name: ark-operator
app.kubernetes.io/managed-by: ark
{{- end -}}

{{/* Labels of the bundled Redis. */}}
{{- define "ark.redisLabels" -}}
app.kubernetes.io/name: redis
app.kubernetes.io/component: task-queue
app.kubernetes.io/managed-by: ark
{{- end -}}

{{/* The operator image: repository@digest, else repository:tag (tag defaults to appVersion). */}}
{{- define "ark.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* The task queue: taskQueueURL, else the bundled Redis. */}}
{{- define "ark.taskQueueURL" -}}
{{- if .Values.taskQueueURL -}}
{{ .Values.taskQueueURL }}
{{- else if .Values.redis.enabled -}}
redis.{{ .Release.Namespace }}.svc.cluster.local:6379
{{- else -}}
{{ fail "set taskQueueURL or redis.enabled: the operator needs a Redis" }}
{{- end -}}
{{- end -}}

{{/* agentExtraEnv (a map) as AGENT_EXTRA_ENV: KEY=VALUE lines, keys sorted. */}}
{{- define "ark.agentExtraEnv" -}}
{{- $lines := list -}}
{{- range $key, $value := . -}}
{{- $lines = append $lines (printf "%s=%v" $key $value) -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}
