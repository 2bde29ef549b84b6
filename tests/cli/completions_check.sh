#!/bin/bash
# The bash completion offers each option's values, not the model ids, inspect offers files, and -q before a command is
# --quiet (a new-user audit, stop 48). Usage: completions_check.sh DSPLAN
set -u
source <("$1" completions bash) || exit 1
fail=0
expect() {  # expect "WANTED" WORDS...: completing the last word gives exactly WANTED
  local wanted="$1"; shift
  COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
  _dsplan
  if [[ "${COMPREPLY[*]}" != "$wanted" ]]; then
    echo "completing '$*': got '${COMPREPLY[*]}', expected '$wanted'"; fail=1
  fi
}
expect "table json csv" dsplan estimate 7b --format ""
expect "context" dsplan estimate 7b --sweep ""
expect "on off" dsplan estimate 7b --imatrix ""
expect "" dsplan estimate 7b --gpu-layers ""
expect "q4_k_m q4_k_s" dsplan estimate 7b -q q4_k
expect "--explain" dsplan estimate 7b --expl
expect "validate" dsplan catalog ""
expect "0 1 2 3" dsplan train 8b --zero ""
# --explain only where a command takes it (list refuses it); no -m, which is not a dsplan flag.
expect "" dsplan list --expl
expect "--explain" dsplan train 8b --expl
# inspect takes a path: the files here (a fresh directory holding one).
scratch=$(mktemp -d) && touch "$scratch/model.gguf"
expect "$scratch/model.gguf" dsplan inspect "$scratch/mo"
rm -rf "$scratch"
COMP_WORDS=(dsplan -q ""); COMP_CWORD=2; COMPREPLY=(); _dsplan
[[ " ${COMPREPLY[*]} " == *" estimate "* ]] || { echo "dsplan -q: no commands offered"; fail=1; }
COMP_WORDS=(dsplan compare r1-distill-qwen-7); COMP_CWORD=2; COMPREPLY=(); _dsplan
[[ "${COMPREPLY[*]}" == "r1-distill-qwen-7b" ]] || { echo "compare: no model ids"; fail=1; }
exit $fail
