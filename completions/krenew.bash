# bash completion for krenew(1)                           -*- shell-script -*-
#
# Needs bash-completion 2 (_init_completion, _filedir, _command_offset).
# Installed as $(pkg-config --variable=completionsdir bash-completion)/krenew,
# usually /usr/share/bash-completion/completions/krenew.

# _krenew_value_option prints the long name of the option whose value is
# the word after option word $1, or fails if that word is not a value. Go's
# flag parser takes -name like --name, and the last letter of a group of
# short options (-bk FILE) may take a value; -k=FILE and --cache=FILE carry
# their own.
_krenew_value_option()
{
    local name=${1#-}
    name=${name#-}
    case $name in
        *=*) return 1 ;;
        principal | lifetime | renewable | keytab | cache | interval | \
            min-lifetime | pidfile | child-pidfile | command-dir)
            echo "$name"
            return 0
            ;;
        keytab-principal | password-stdin | init | wait-lock | always | \
            background | hup-child | aklog | exit-on-error | ignore-errors | \
            syslog | verbose | quiet | foreground | once | status | json | stop | list | help | version)
            return 1
            ;;
    esac
    [[ $1 == -[a-zA-Z]* && $name != *[!a-zA-Z]* ]] || return 1
    case ${1: -1} in
        u) echo principal ;;
        l) echo lifetime ;;
        r) echo renewable ;;
        f) echo keytab ;;
        k) echo cache ;;
        K) echo interval ;;
        H) echo min-lifetime ;;
        p) echo pidfile ;;
        c) echo child-pidfile ;;
        *) return 1 ;;
    esac
}

# _krenew_command_start prints the index in words of the command krenew
# runs (after -- or at the first word that is not an option), or fails
# while the words before the cursor are all krenew's.
_krenew_command_start()
{
    local i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --)
                echo $((i + 1))
                return 0
                ;;
            -?*)
                _krenew_value_option "${words[i]}" >/dev/null && ((i++))
                ;;
            *)
                echo "$i"
                return 0
                ;;
        esac
    done
    return 1
}

# _krenew_cache completes a cache name: a type prefix or a file, after
# FILE: or DIR: a file or directory, and after KEYRING: the collections
# people use (the persistent one of this user first).
_krenew_cache()
{
    local type=
    case $cur in
        FILE:*) type=FILE: ;;
        DIR:*) type=DIR: ;;
        KEYRING:*)
            COMPREPLY=($(compgen -W "KEYRING:persistent:$(id -u) KEYRING:session: KEYRING:user:" -- "$cur"))
            compopt -o nospace
            __ltrim_colon_completions "$cur"
            return
            ;;
        KCM:*) COMPREPLY=(KCM:); __ltrim_colon_completions "$cur"; return ;;
    esac
    local path=${cur#"$type"}
    [[ $type ]] || COMPREPLY=($(compgen -W 'FILE: DIR: KEYRING: KCM:' -- "$cur"))
    local IFS=$'\n'
    case $type in
        DIR:) COMPREPLY=($(compgen -d -- "$path")) ;;
        *) COMPREPLY+=($(compgen -f -- "$path")) ;;
    esac
    local i
    for i in "${!COMPREPLY[@]}"; do
        [[ -d ${COMPREPLY[i]} ]] && COMPREPLY[i]+=/
        COMPREPLY[i]=$type${COMPREPLY[i]}
    done
    # A type prefix or a directory is not a whole name yet.
    compopt -o nospace
    if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} != *[:/] ]]; then
        compopt +o nospace
    fi
    # Readline completes only what follows the last colon.
    __ltrim_colon_completions "$cur"
}

# _krenew_command_offset completes the command starting at words[$1] as
# if it were typed alone. _command_offset counts COMP_WORDS, which readline
# splits at the colons and equals signs that words has joined again.
_krenew_command_offset()
{
    local k j=0 joined
    for ((k = 0; k < $1; k++)); do
        joined=
        while [[ $joined != "${words[k]}" ]] && ((j < ${#COMP_WORDS[@]})); do
            joined+=${COMP_WORDS[j]}
            ((j++))
        done
    done
    _command_offset $j
}

_krenew()
{
    local cur prev words cword split
    _init_completion -s -n : || return

    local start
    if start=$(_krenew_command_start); then
        _krenew_command_offset "$start"
        return
    fi

    local option
    option=$(_krenew_value_option "$prev")
    case $option in
        keytab | pidfile | child-pidfile)
            _filedir
            return
            ;;
        cache)
            _krenew_cache
            return
            ;;
        lifetime | renewable)
            COMPREPLY=($(compgen -W '7d 14d 1d 12h 10h 1h 1h30m' -- "$cur"))
            return
            ;;
        principal)
            local default
            default=$(klist 2>/dev/null | sed -n 's/^Default principal: //p')
            COMPREPLY=($(compgen -W "$default" -- "$cur"))
            return
            ;;
        ?*)
            # minutes, or the internal --command-dir: nothing to offer
            return
            ;;
    esac
    [[ $split == true ]] && return

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '-u --principal -l --lifetime -r --renewable
            -f --keytab -U --keytab-principal --password-stdin --init
            --wait-lock -k --cache -K --interval -H --min-lifetime -a --always
            -b --background --foreground --once --status --json --stop --list -p --pidfile
            -c --child-pidfile -s --hup-child -t --aklog -x --exit-on-error
            -i --ignore-errors -L --syslog -v --verbose -q --quiet -h --help --version' \
            -- "$cur"))
        return
    fi

    # The first word that is not an option is the command to run.
    _krenew_command_offset "$cword"
} &&
    complete -F _krenew krenew

# ex: filetype=sh
