{{- define "slipway.redisUrl" -}}
{{- if .Values.redis.url }}{{ .Values.redis.url }}{{ else }}redis://{{ .Release.Name }}-redis:6379{{ end -}}
{{- end }}
{{- define "slipway.env" -}}
- name: SLIPWAY_REDIS_URL
  value: {{ include "slipway.redisUrl" . | quote }}
- name: SLIPWAY_PIPELINES
  value: /pipelines
- name: SLIPWAY_API_TOKEN
  valueFrom: { secretKeyRef: { name: {{ .Values.apiToken.existingSecret }}, key: token } }
{{- with .Values.publicUrl }}
- name: SLIPWAY_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- end }}
