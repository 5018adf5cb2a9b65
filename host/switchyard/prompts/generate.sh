#!/usr/bin/env bash
# Regenerates the embedded English prompts in en/ (8 kHz, mono, 16-bit PCM WAV).
# Needs Debian's espeak-ng and sox: apt-get install -y espeak-ng sox
# The WAVs are committed; run this only to change them.
set -euo pipefail
cd "$(dirname "$0")"
out=en
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

speak() { # name text
  espeak-ng -v en-us -s 150 -w "$tmp/$1.wav" "$2"
  sox "$tmp/$1.wav" -r 8000 -c 1 -b 16 "$out/$1.wav" norm -3
}

# The SEMS webconference prompts.
speak enter_pin "Welcome to the conference. Please enter your room number, followed by the pound key."
speak wrong_pin "The room number is not correct. Please try again."
speak wrong_pin_bye "The room number is not correct. Goodbye."
speak entering_conference "You are now entering the conference room."
speak first_participant "You are the first participant in the conference."
for d in 0 1 2 3 4 5 6 7 8 9; do
  speak "$d" "$d"
done

# What MeetMe-style and n-way flows need.
speak enter_number "Please enter the number to invite, followed by the pound key."
speak conference_locked "This conference is locked."
speak conference_full "This conference is full."
speak muted "You are now muted."
speak unmuted "You are no longer muted."
speak only_person "You are currently the only person in this conference."
speak there_are "There are"
speak participants "participants in this conference."
speak wait_for_leader "Please wait for the conference leader to join."
speak kicked "You have been removed from this conference."
speak goodbye "Goodbye."
speak enter_conference_number "Please enter the conference number, followed by the pound key."
speak enter_conference_pin "Please enter the conference pin, followed by the pound key."
speak enter_new_pin "Please enter a pin for this conference, followed by the pound key, or just the pound key for none."
speak wrong_conference_pin "That pin is not correct."
speak conference_unlocked "This conference is unlocked."
speak call_failed "The call could not be completed."
speak participant_joined "A participant has joined the conference."
speak participant_left "A participant has left the conference."

# Tones (ITU-T E.180 / North American precise tones).
tone() { # file seconds frequency
  sox -n -r 8000 -c 1 -b 16 "$1" synth "$2" sine "$3" vol 0.4 fade 0.01 "$2" 0.01
}
tone "$tmp/low.wav" 0.12 880
tone "$tmp/high.wav" 0.12 1320
sox "$tmp/low.wav" "$tmp/high.wav" "$out/join_sound.wav"
sox "$tmp/high.wav" "$tmp/low.wav" "$out/drop_sound.wav"
sox -n -r 8000 -c 1 -b 16 "$out/beep.wav" synth 0.2 sine 1000 vol 0.4
sox -n -r 8000 -c 1 -b 16 "$out/dial_tone.wav" synth 2 sine 350 sine 440 remix 1-2 vol 0.3
sox -n -r 8000 -c 1 -b 16 "$out/ringback.wav" synth 2 sine 440 sine 480 remix 1-2 vol 0.3 pad 0 4

# Music on hold: a C major arpeggio (C5 E5 G5 E5), a quarter second a note.
notes=()
for f in 523.25 659.25 783.99 659.25; do
  sox -n -r 8000 -c 1 -b 16 "$tmp/note$f.wav" synth 0.25 sine "$f" vol 0.3 fade 0.02 0.25 0.05
  notes+=("$tmp/note$f.wav")
done
sox "${notes[@]}" "$out/music_on_hold.wav"
