{{/* Chart name. */}}
{{- define "shoal.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name, plus the chart name unless it is in it. */}}
{{- define "shoal.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "shoal.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of a component: call with (dict "ctx" $ "component" "server"). */}}
{{- define "shoal.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shoal.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Common labels of a component: call with (dict "ctx" $ "component" "server"). */}}
{{- define "shoal.labels" -}}
helm.sh/chart: {{ include "shoal.chart" .ctx }}
{{ include "shoal.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: shoal
{{- end -}}

{{- define "shoal.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "shoal.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The image reference: repository:tag, or repository:tag@digest. */}}
{{- define "shoal.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "shoal.secretName" -}}
{{- default (include "shoal.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{/* The Shoal config.yaml. */}}
{{- define "shoal.configYAML" -}}
{{ toYaml .Values.config }}
{{- end -}}

{{/* The data of the chart's Secret: SHOAL_* variable name to value. */}}
{{- define "shoal.secretData" -}}
{{- with .Values.secrets.storeURL }}
SHOAL_STORE_URL: {{ . | b64enc | quote }}
{{- end }}
{{- with .Values.secrets.authTokens }}
SHOAL_AUTH_TOKENS: {{ . | b64enc | quote }}
{{- end }}
{{- with .Values.secrets.sentryDSN }}
SHOAL_SENTRY_DSN: {{ . | b64enc | quote }}
{{- end }}
{{- with .Values.secrets.smtpPassword }}
SHOAL_NOTIFY_SMTP_PASSWORD: {{ . | b64enc | quote }}
{{- end }}
{{- range $k, $v := .Values.secrets.extra }}
{{ $k }}: {{ $v | toString | b64enc | quote }}
{{- end }}
{{- end -}}

{{/*
Environment of every Shoal container: the config path and the secret
variables. Call with (dict "ctx" $ "secretName" NAME).
*/}}
{{- define "shoal.env" -}}
{{- $v := .ctx.Values -}}
- name: SHOAL_CONFIG
  value: /etc/shoal/config.yaml
- name: SHOAL_STORE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: SHOAL_STORE_URL
{{- range $key := list "SHOAL_AUTH_TOKENS" "SHOAL_SENTRY_DSN" "SHOAL_NOTIFY_SMTP_PASSWORD" }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ $.secretName }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- range $k, $_ := $v.secrets.extra }}
- name: {{ $k }}
  valueFrom:
    secretKeyRef:
      name: {{ $.secretName }}
      key: {{ $k }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes of every Shoal pod. Call with (dict "ctx" $ "configMap" NAME). */}}
{{- define "shoal.volumes" -}}
- name: config
  configMap:
    name: {{ .configMap }}
    items:
      - key: config.yaml
        path: config.yaml
- name: tmp
  emptyDir:
    sizeLimit: {{ .ctx.Values.tmpSizeLimit }}
{{- end -}}

{{- define "shoal.volumeMounts" -}}
- name: config
  mountPath: /etc/shoal
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Topology spread constraints with the component's selector filled in. */}}
{{- define "shoal.topologySpread" -}}
{{- $sel := fromYaml (include "shoal.selectorLabels" .) -}}
{{- range .constraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $sel) }}
{{- end }}
- {{ toYaml $c | nindent 2 | trim }}
{{- end }}
{{- end -}}

{{/* Pod scheduling settings shared by every pod. */}}
{{- define "shoal.scheduling" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
