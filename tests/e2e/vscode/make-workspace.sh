#!/usr/bin/env bash
# Makes a throwaway copy of the example factory project with an active run of stage `code`, and a
# file that the agent wrote outside its permissions (artifacts/prd/sneaky.md).
# Usage: bash tests/e2e/vscode/make-workspace.sh DEST   (DEST must not exist; prints nothing on success)
set -euo pipefail
DEST=${1:?destination directory}
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
[ -e "$DEST" ] && { echo "make-workspace: $DEST exists" >&2; exit 2; }
cp -r "$REPO/tests/fixtures/agent-app-factory" "$DEST"
cd "$DEST"

mkdir -p agents input artifacts/prd artifacts/ui/preview.web artifacts/tech artifacts/backend/prisma pipeline .factory
for s in bootstrap prd ui tech code validation preview; do
  printf '# %s agent\n\nDoes the %s stage of the pipeline.\n' "$s" "$s" > "agents/$s.agent.md"
done
# Outputs of the completed stages (bootstrap, prd, ui, tech).
printf '# Idea\n\nA tiny habit tracker.\n' > input/idea.md
printf '# PRD\n\nTarget users: people building habits.\n' > artifacts/prd/prd.md
printf 'pages:\n  - home\n' > artifacts/ui/ui.schema.yaml
printf '<!doctype html><title>preview</title>\n' > artifacts/ui/preview.web/index.html
printf '# Tech\n\nNode + SQLite.\n' > artifacts/tech/tech.md
printf 'model Habit {\n  id Int @id\n}\n' > artifacts/backend/prisma/schema.prisma

ts() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
T0=$(ts '-3 hours'); T1=$(ts '-150 minutes'); TCODE=$(ts '-60 minutes')
cat > .factory/state.json <<JSON
{
  "version": "1.0",
  "status": "running",
  "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech"],
  "failedStages": [],
  "stageHistory": [
    { "stageId": "bootstrap", "status": "completed", "startTime": "$T0", "endTime": "$T0", "attempts": 1, "outputs": ["input/idea.md"] },
    { "stageId": "prd", "status": "completed", "startTime": "$T0", "endTime": "$T1", "attempts": 1, "outputs": ["artifacts/prd/prd.md"] },
    { "stageId": "ui", "status": "completed", "startTime": "$T1", "endTime": "$T1", "attempts": 1, "outputs": ["artifacts/ui/ui.schema.yaml", "artifacts/ui/preview.web/index.html"] },
    { "stageId": "tech", "status": "completed", "startTime": "$T1", "endTime": "$T1", "attempts": 1, "outputs": ["artifacts/tech/tech.md", "artifacts/backend/prisma/schema.prisma"] },
    { "stageId": "code", "status": "running", "startTime": "$TCODE", "attempts": 1 }
  ],
  "lastCheckpoint": "tech",
  "createdAt": "$T0",
  "updatedAt": "$TCODE"
}
JSON
# An earlier report in the error log (the grammar is checked on it).
cat > pipeline/error.log <<LOG
============================================
ERROR REPORT
============================================
Timestamp: $T1
Stage: tech
Attempt: 1/2
Status: FAILED

Error Type: Missing Output
Error Message: artifacts/backend/prisma/schema.prisma does not exist

Exit Criteria Failed:
  - [ ] 数据模型与 PRD 一致
  - [x] 技术栈明确声明

Failed Artifacts Moved To:
  artifacts/_failed/tech/attempt-1/

Recommended Action:
  1. Return to Build: re-open stage tech and fix on top of the archived attempt
============================================
LOG
# The code stage's first attempt, archived (compared with the current file in the Tollgate view).
mkdir -p artifacts/_failed/code/attempt-1/backend/src
printf 'export const port = 8080;\n' > artifacts/_failed/code/attempt-1/backend/src/index.ts
# Everything so far predates the code stage (no git here: changed = modified after startTime).
find . -exec touch -d '-2 hours' {} +
# What the code agent wrote during its stage: one file inside its permissions, one outside.
mkdir -p artifacts/backend/src
printf 'export const port = 3000;\n' > artifacts/backend/src/index.ts
printf '# Sneaky\n\nThe code agent rewrote part of the PRD.\n' > artifacts/prd/sneaky.md
