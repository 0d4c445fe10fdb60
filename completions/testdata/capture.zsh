# Sourced by completions_test.go in an interactive `zsh -f` on a pty: loads
# the completion system with the repository's _krenew first on $fpath and,
# when Tab is pressed, prints every candidate the completion system offers
# for what is typed, so the test reads candidates, not a screen layout.
# $KRENEW_COMPLETIONS is the repository's completions directory.

fpath=("$KRENEW_COMPLETIONS" $fpath)
autoload -Uz compinit
compinit -u -D

# Every candidate passes through compadd. The completion system's own
# calls with -O, -A or -D only collect matches and add nothing; the others
# are recorded with their display strings (descriptions), matched against
# what is typed by builtin compadd -A, and then added as usual.
compadd() {
  local -a __opts __hits __dscr
  __opts=("${(@)@[1,(i)(-|--)]}")
  if (( ${__opts[(I)-[[:alnum:]]#[OAD]*]} )); then
    builtin compadd "$@"
    return
  fi
  local -i __d=${__opts[(I)-[[:alnum:]]#d]}
  if (( __d )); then
    local __name=${__opts[__d+1]}
    if [[ $__name == \(* ]]; then
      eval "__dscr=$__name"
    else
      __dscr=("${(@P)__name}")
    fi
  fi
  builtin compadd -A __hits -D __dscr "$@"
  local -i __i
  for (( __i = 1; __i <= $#__hits; __i++ )); do
    print -r -- "candidate:$__hits[__i]"$'\t'"$__dscr[__i]"
  done
  builtin compadd "$@"
}

# One completion per shell: the markers bracket it.
compprefuncs=(_capture_begin)
comppostfuncs=(_capture_end)
_capture_begin() { print -r -- '<<<' }
_capture_end() { print -r -- '>>>' }
# completions_test.go waits for this prompt: the line editor reads keys.
PS1='capture> '
