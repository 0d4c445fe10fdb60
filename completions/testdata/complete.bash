# Run by completions_test.go as
#   bash --norc --noprofile complete.bash COMPLETION-FILE LINE WORD...
# with the words readline would make of LINE (split at COMP_WORDBREAKS, the
# last one the word being completed). It loads bash-completion and the
# completion file, calls the function registered for krenew as readline
# would on Tab, and prints COMPREPLY one per line. compopt works only while
# readline runs a completion, so its uses are reported on stderr instead.

source /usr/share/bash-completion/bash_completion || exit 3
source "$1" || exit 3
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
shift 2
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_TYPE=9
COMP_KEY=9

compopt() {
	{
		printf compopt
		printf ' %s' "$@"
		echo
	} >&2
}

spec=$(complete -p krenew) || exit 3
[[ $spec == *' -F '* ]] || {
	echo "krenew's completion is not a function: $spec" >&2
	exit 3
}
func=${spec#* -F }
func=${func%% *}
"$func" krenew "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
