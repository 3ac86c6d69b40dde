{{- define "robosre.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "robosre.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "robosre.labels" -}}
{{ include "robosre.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "robosre.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "robosre.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The ClusterRole's rules: `robosre rbac` output for this combination of
kubernetes.helmReleases and executor.kind, generated into files/rbac/ by
scripts/helm/generate-rbac.sh, so the chart grants exactly what the code needs.
*/}}
{{- define "robosre.rbacFile" -}}
{{- $executor := ternary "executor" "detect" (eq .Values.executor.kind "kubernetes") -}}
{{- $helm := ternary "-helm-releases" "" (default false .Values.kubernetes.helmReleases) -}}
{{- printf "files/rbac/%s%s.yaml" $executor $helm -}}
{{- end -}}

{{/*
robosre.yaml. Chart-derived keys first, then .Values.config over them, then
what the pod's mounts and probes depend on, which nothing may override.
*/}}
{{- define "robosre.config" -}}
{{- $config := dict
  "environment" .Values.environment
  "cluster" (dict "name" (required "clusterName is required: this cluster's name, a DNS label" .Values.clusterName))
  "executor" (deepCopy .Values.executor)
  "kubernetes" (deepCopy (default dict .Values.kubernetes))
-}}
{{- $server := dict -}}
{{- with .Values.server.publicUrl -}}
{{- $_ := set $server "publicUrl" . -}}
{{- end -}}
{{- if .Values.server.publicReads -}}
{{- $_ := set $server "publicReads" true -}}
{{- end -}}
{{- if $server -}}
{{- $_ := set $config "server" $server -}}
{{- end -}}
{{- $config = mergeOverwrite $config (deepCopy .Values.config) -}}
{{- $config = mergeOverwrite $config (dict
  "database" (dict "path" "/var/lib/robosre/robosre.db")
  "server" (dict "host" "0.0.0.0" "port" 8080)
  "executor" (dict "journal" "/var/lib/robosre/actions.ndjson")
) -}}
{{- include "robosre.refuseSecretValues" (dict "path" "config" "value" $config) -}}
{{- toYaml $config -}}
{{- end -}}

{{/*
Fails the render when a secret key of robosre.yaml holds a value instead of a
{ env } or { file } reference: the ConfigMap is readable by anyone who may
read ConfigMaps in the namespace.
*/}}
{{- define "robosre.refuseSecretValues" -}}
{{- $secretKeys := list "token" "password" "botToken" "signingSecret" "appToken" "authToken" "webhookSecret" -}}
{{- if kindIs "map" .value -}}
{{- range $key, $value := .value -}}
{{- $path := printf "%s.%s" $.path $key -}}
{{- if and (has $key $secretKeys) (not (kindIs "map" $value)) -}}
{{- fail (printf "%s: a secret must be a reference, { env: VAR } (see secretEnv and secrets) or { file: path }, never a value in the ConfigMap" $path) -}}
{{- end -}}
{{- include "robosre.refuseSecretValues" (dict "path" $path "value" $value) -}}
{{- end -}}
{{- else if kindIs "slice" .value -}}
{{- range $i, $item := .value -}}
{{- include "robosre.refuseSecretValues" (dict "path" (printf "%s[%d]" $.path $i) "value" $item) -}}
{{- end -}}
{{- end -}}
{{- end -}}
