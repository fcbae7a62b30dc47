# Two waits of 2^63-1 ns: their sum overflowed the 64-bit virtual clock (signed overflow, UB)
# in Runner::run_step(WaitStep) before run_check had a virtual-time limit. Now: a located error.
wait 9223372036854775807ns
wait 9223372036854775807ns
