{{/* Names and labels. */}}
{{- define "lockgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "lockgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "lockgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "lockgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lockgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "lockgate.labels" -}}
helm.sh/chart: {{ include "lockgate.chart" . }}
{{ include "lockgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lockgate
{{- end }}

{{- define "lockgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lockgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "lockgate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret holding LOCKGATE_SECRET_KEY and the bundled servers' passwords (yours, or the
generated one). */}}
{{- define "lockgate.secretName" -}}
{{- default (include "lockgate.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* The Secret the chart generates when secrets.existingSecret is empty. */}}
{{- define "lockgate.generatedSecretName" -}}
{{- include "lockgate.fullname" . }}
{{- end }}

{{- define "lockgate.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "lockgate.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "lockgate.redis.fullname" -}}
{{- printf "%s-redis" (include "lockgate.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "lockgate.redisCache.fullname" -}}
{{- printf "%s-redis-cache" (include "lockgate.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Which stores are configured ("true" or ""). */}}
{{- define "lockgate.usesPostgres" -}}
{{- if or .Values.db.useExisting .Values.db.deployStandalone }}true{{ end }}
{{- end }}
{{- define "lockgate.usesRedis" -}}
{{- if or .Values.redis.useExisting .Values.redis.deployStandalone }}true{{ end }}
{{- end }}
{{- define "lockgate.usesRedisCache" -}}
{{- if or .Values.redisCache.useExisting .Values.redisCache.deployStandalone }}true{{ end }}
{{- end }}
{{- define "lockgate.multiReplica" -}}
{{- if or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled }}true{{ end }}
{{- end }}

{{/*
Shutdown numbers, all derived from .Values.shutdown (see values.yaml). finalSaveSeconds is
FINAL_SAVE_SECONDS of src/lockgate/settings.py: the app's own constant, not a setting.
*/}}
{{- define "lockgate.finalSaveSeconds" -}}5{{- end }}
{{- define "lockgate.terminationGracePeriodSeconds" -}}
{{- $s := .Values.shutdown }}
{{- $final := include "lockgate.finalSaveSeconds" . | int }}
{{- add (int $s.preStopSeconds) (int (ceil $s.graceSeconds)) (mul 2 $final) (int $s.marginSeconds) }}
{{- end }}

{{/* Refuse combinations that would break Lockgate's guarantees, with a message saying why. */}}
{{- define "lockgate.checks" -}}
{{- if and .Values.db.useExisting .Values.db.deployStandalone }}
{{- fail "db: set useExisting (your PostgreSQL) or deployStandalone (the bundled one), not both" }}
{{- end }}
{{- if and .Values.redis.useExisting .Values.redis.deployStandalone }}
{{- fail "redis: set useExisting or deployStandalone, not both" }}
{{- end }}
{{- if and .Values.redisCache.useExisting .Values.redisCache.deployStandalone }}
{{- fail "redisCache: set useExisting or deployStandalone, not both" }}
{{- end }}
{{- if and .Values.db.useExisting (not .Values.db.secret.name) }}
{{- fail "db.useExisting needs db.secret.name: a Secret holding the database URL (postgresql+asyncpg://...)" }}
{{- end }}
{{- if and .Values.redis.useExisting (not .Values.redis.secret.name) }}
{{- fail "redis.useExisting needs redis.secret.name: a Secret holding the Redis URL" }}
{{- end }}
{{- if and .Values.redisCache.useExisting (not .Values.redisCache.secret.name) }}
{{- fail "redisCache.useExisting needs redisCache.secret.name: a Secret holding the cache Redis URL" }}
{{- end }}
{{- if include "lockgate.multiReplica" . }}
{{- if not (include "lockgate.usesPostgres" .) }}
{{- fail "more than one replica (replicaCount > 1 or autoscaling) needs PostgreSQL: set db.useExisting or db.deployStandalone (SQLite is one process only)" }}
{{- end }}
{{- if not (include "lockgate.usesRedis" .) }}
{{- fail "more than one replica (replicaCount > 1 or autoscaling) needs the gate's Redis: set redis.useExisting or redis.deployStandalone (limits and budgets would otherwise be per pod)" }}
{{- end }}
{{- if and .Values.persistence.enabled (not .Values.persistence.existingClaim) (not (has "ReadWriteMany" .Values.persistence.accessModes)) }}
{{- fail "more than one replica needs persistence.accessModes [ReadWriteMany] (every replica serves the stored images), an existingClaim, or persistence.enabled=false" }}
{{- end }}
{{- end }}
{{- if and (not (include "lockgate.usesPostgres" .)) (not .Values.persistence.enabled) }}
{{- fail "SQLite (no db.useExisting / db.deployStandalone) needs persistence.enabled: the database would be lost with the pod" }}
{{- end }}
{{- $ready := .Values.readinessProbe }}
{{- if gt (mul (int $ready.periodSeconds) (int $ready.failureThreshold)) (int .Values.shutdown.graceSeconds) }}
{{- fail (printf "readinessProbe.periodSeconds x failureThreshold (%d s) must not exceed shutdown.graceSeconds (%v s): the probe must turn red while live replies drain" (mul (int $ready.periodSeconds) (int $ready.failureThreshold)) .Values.shutdown.graceSeconds) }}
{{- end }}
{{- if and .Values.pdb.enabled (kindIs "invalid" .Values.pdb.minAvailable) (kindIs "invalid" .Values.pdb.maxUnavailable) }}
{{- fail "pdb: set minAvailable or maxUnavailable" }}
{{- end }}
{{- end }}

{{/*
The environment every Lockgate container gets (server and migration Job). The order matters:
a variable used as $(NAME) must come before the one using it.
*/}}
{{- define "lockgate.env" -}}
- name: LOCKGATE_ENV
  value: {{ .Values.lockgate.env | quote }}
- name: LOCKGATE_LOG_LEVEL
  value: {{ .Values.lockgate.logLevel | quote }}
- name: LOCKGATE_LOG_FORMAT
  value: {{ .Values.lockgate.logFormat | quote }}
- name: LOCKGATE_HOST
  value: "0.0.0.0"
- name: LOCKGATE_PORT
  value: "8000"
- name: LOCKGATE_DATA_DIR
  value: /data
- name: LOCKGATE_CONFIG_FILE
  value: /config/lockgate.yaml
- name: LOCKGATE_METRICS_HOST
  value: "0.0.0.0"
- name: LOCKGATE_METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
- name: LOCKGATE_SHUTDOWN_GRACE_SECONDS
  value: {{ .Values.shutdown.graceSeconds | quote }}
- name: LOCKGATE_MIGRATE_ON_START
  {{- /* SQLite: one pod, it migrates at start. PostgreSQL: the migration Job (or you) does. */}}
  value: {{ ternary "false" "true" (eq (include "lockgate.usesPostgres" .) "true") | quote }}
- name: LOCKGATE_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "lockgate.secretName" . }}
      key: LOCKGATE_SECRET_KEY
{{- if .Values.db.useExisting }}
- name: LOCKGATE_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.db.secret.name }}
      key: {{ .Values.db.secret.key }}
{{- else if .Values.db.deployStandalone }}
- name: POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "lockgate.secretName" . }}
      key: postgres-password
- name: LOCKGATE_DATABASE_URL
  value: {{ printf "postgresql+asyncpg://%s:$(POSTGRES_PASSWORD)@%s:%d/%s" .Values.postgresql.username (include "lockgate.postgresql.fullname" .) (int .Values.postgresql.port) .Values.postgresql.database | quote }}
{{- end }}
{{- if .Values.redis.useExisting }}
- name: LOCKGATE_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.secret.name }}
      key: {{ .Values.redis.secret.key }}
{{- else if .Values.redis.deployStandalone }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "lockgate.secretName" . }}
      key: redis-password
- name: LOCKGATE_REDIS_URL
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s:%d/0" (include "lockgate.redis.fullname" .) (int .Values.redis.port) | quote }}
{{- end }}
{{- if .Values.redisCache.useExisting }}
- name: LOCKGATE_CACHE_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redisCache.secret.name }}
      key: {{ .Values.redisCache.secret.key }}
{{- else if .Values.redisCache.deployStandalone }}
- name: REDIS_CACHE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "lockgate.secretName" . }}
      key: redis-cache-password
- name: LOCKGATE_CACHE_REDIS_URL
  value: {{ printf "redis://:$(REDIS_CACHE_PASSWORD)@%s:%d/0" (include "lockgate.redisCache.fullname" .) (int .Values.redisCache.port) | quote }}
{{- end }}
{{- range $name, $value := .Values.lockgate.settings }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "lockgate.envFrom" -}}
{{- range .Values.environmentSecrets }}
- secretRef:
    name: {{ . }}
{{- end }}
{{- range .Values.environmentConfigMaps }}
- configMapRef:
    name: {{ . }}
{{- end }}
{{- end }}

{{/* A random value kept across upgrades: read back from the live Secret when there is one. */}}
{{- define "lockgate.keptRandom" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace (include "lockgate.generatedSecretName" .root) }}
{{- if and $existing $existing.data (hasKey $existing.data .key) }}
{{- index $existing.data .key }}
{{- else }}
{{- randAlphaNum .length | b64enc }}
{{- end }}
{{- end }}
