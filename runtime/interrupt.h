// Ctrl-C (SIGINT) and SIGTERM for the tools. The first asks the work to stop at its next safe
// point: the trainer saves where it stands, the other phases stop with a message. A second exits
// at once (130, or 143 for SIGTERM), leaving every file as the last complete write left it.
#pragma once

namespace unet3d {

// Installs the handlers and forgets any earlier signal.
void install_interrupt_handlers();
// Restores the default actions (a signal then ends the process as usual).
void remove_interrupt_handlers();
// The signal asked for (SIGINT or SIGTERM), or 0.
int pending_interrupt();
// Makes `signal` the one asked for, as if received, without counting as a signal received: the
// stop a data-parallel job agreed on, so that this process's own copy of the signal, should it
// arrive later, is its first and not a second that exits at once.
void adopt_interrupt(int signal);
// The exit code of an interrupted tool: 130 for SIGINT, 143 for SIGTERM.
int interrupt_exit_code();
// Throws an Error with interrupt_exit_code() naming `phase` when a signal is pending.
void stop_if_interrupted(const char* phase);

}  // namespace unet3d
