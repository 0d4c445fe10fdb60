# fish completion for krenew(1)
#
# Installed as $(pkg-config --variable=completionsdir fish)/krenew.fish,
# usually /usr/share/fish/vendor_completions.d/krenew.fish.

# The tokens from the command krenew runs on (after -- or from the first
# word that is not an option), up to the cursor; fails while the tokens
# before the cursor are all krenew's. Go's flag parser takes -name like
# --name, and the last letter of a group of short options (-bk FILE) may
# take a value.
function __krenew_command_tokens
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l n (count $tokens)
    set -l i 1
    while test $i -le $n
        set -l t $tokens[$i]
        if test "$t" = --
            set i (math $i + 1)
            test $i -le $n; and printf '%s\n' $tokens[$i..-1]
            return 0
        end
        if not string match -q -- '-?*' $t
            printf '%s\n' $tokens[$i..-1]
            return 0
        end
        if string match -qr -- '^--?(principal|lifetime|renewable|keytab|cache|interval|min-lifetime|pidfile|child-pidfile|command-dir)$' $t
            or begin
                string match -qr -- '^-[a-zA-Z]*[ulrfkKHpc]$' $t
                and test "$t" != -help
            end
            set i (math $i + 1)
        end
        set i (math $i + 1)
    end
    return 1
end

# Complete the command krenew runs, and its arguments with the command's
# own completion.
function __krenew_complete_command
    set -l tokens (__krenew_command_tokens)
    __fish_complete_subcommand --commandline $tokens (commandline -ct)
end

# Command names are offered where the command may start; options only
# while krenew's own options go on.
function __krenew_wants_command
    __krenew_command_tokens >/dev/null
    or not string match -q -- '-*' (commandline -ct)
end

function __krenew_options
    not __krenew_command_tokens >/dev/null
end

# Cache names: type prefixes, paths after FILE: and DIR:, and the usual
# kernel keyring collections after KEYRING:.
function __krenew_caches
    set -l value (string replace -r -- '^--?cache=' '' (commandline -ct))
    switch $value
        case 'FILE:*'
            __fish_complete_path (string sub -s 6 -- $value) | string replace -r -- '^' FILE:
        case 'DIR:*'
            __fish_complete_directories (string sub -s 5 -- $value) | string replace -r -- '^' DIR:
        case 'KEYRING:*'
            printf '%s\t%s\n' KEYRING:persistent:(id -u) "this user's persistent keyring" \
                KEYRING:session: 'the login session keyring' KEYRING:user: 'the user keyring'
        case '*'
            printf '%s\t%s\n' FILE: 'credential cache file' DIR: 'directory of caches' \
                KEYRING: 'kernel keyring' KCM: 'KCM daemon (sssd-kcm)'
            __fish_complete_path $value
    end
end

# Examples of kinit's duration forms.
function __krenew_durations
    printf '%s\t%s\n' 7d 'a week' 14d 'two weeks' 1d 'a day' 12h '12 hours' \
        10h '10 hours' 1h 'an hour' 1h30m 'an hour and a half'
end

# The default principal of the current cache, if there is one.
function __krenew_principals
    klist 2>/dev/null | string replace -rf '^Default principal: (.*)' '$1\tdefault principal'
end

complete -c krenew -f
complete -c krenew -n __krenew_wants_command -a '(__krenew_complete_command)'

complete -c krenew -n __krenew_options -s u -l principal -x -a '(__krenew_principals)' -d 'client principal'
complete -c krenew -n __krenew_options -s l -l lifetime -x -a '(__krenew_durations)' -d 'requested ticket lifetime'
complete -c krenew -n __krenew_options -s r -l renewable -x -a '(__krenew_durations)' -d 'requested renewable lifetime'
complete -c krenew -n __krenew_options -s f -l keytab -r -F -d 'authenticate from a keytab, not a password'
complete -c krenew -n __krenew_options -s U -l keytab-principal -d 'use the first principal in the keytab'
complete -c krenew -n __krenew_options -l password-stdin -d 'read the password from standard input'
complete -c krenew -n __krenew_options -l init -d 'get a new ticket even if the cache has a usable one'
complete -c krenew -n __krenew_options -l wait-lock -d 'wait for another krenew on the cache to exit'
complete -c krenew -n __krenew_options -s k -l cache -x -a '(__krenew_caches)' -d 'credential cache'
complete -c krenew -n __krenew_options -s K -l interval -x -d 'longest sleep between checks, in minutes'
complete -c krenew -n __krenew_options -s H -l min-lifetime -x -d 'keep at least MIN minutes of lifetime left'
complete -c krenew -n __krenew_options -s a -l always -d 'renew at every wake-up'
complete -c krenew -n __krenew_options -s b -l background -d 'detach once the first ticket is in place'
complete -c krenew -n __krenew_options -l foreground -d 'do not detach'
complete -c krenew -n __krenew_options -l once -d 'renew once and exit'
complete -c krenew -n __krenew_options -l status -d "show the cache's ticket"
complete -c krenew -n __krenew_options -l json -d 'with --status, print one JSON object'
complete -c krenew -n __krenew_options -l stop -d 'end the daemon that renews the cache'
complete -c krenew -n __krenew_options -l list -d "list this user's daemons and their caches"
complete -c krenew -n __krenew_options -s p -l pidfile -r -F -d "write krenew's pid to FILE"
complete -c krenew -n __krenew_options -s c -l child-pidfile -r -F -d "write the command's pid to FILE"
complete -c krenew -n __krenew_options -s s -l hup-child -d 'send SIGHUP to the command when renewal ends'
complete -c krenew -n __krenew_options -s t -l aklog -d 'run $AKLOG after each new or renewed ticket'
complete -c krenew -n __krenew_options -s x -l exit-on-error -d 'exit on the first renewal error'
complete -c krenew -n __krenew_options -s i -l ignore-errors -d 'keep retrying through errors'
complete -c krenew -n __krenew_options -s L -l syslog -d 'also log to syslog'
complete -c krenew -n __krenew_options -s v -l verbose -d 'say more'
complete -c krenew -n __krenew_options -s q -l quiet -d 'say nothing but errors'
complete -c krenew -n __krenew_options -s h -l help -d 'show this help'
complete -c krenew -n __krenew_options -l version -d 'print the version'
