# gnuplot script for bench/run: overhead over direct exec against the number
# of secrets, from scaling.dat (written by report.py). Run in the results dir.
set terminal pngcairo size 900,560 font "DejaVu Sans,11" noenhanced
set output "overhead.png"
set title "Start-up overhead of an entrypoint that reads N secret files, then execs /bin/true"
set xlabel "secrets (NAME_FILE variables, 32-character files)"
set ylabel "overhead over exec with the same environment (µs, median)"
set logscale xy
set xrange [0.8:1300]
set grid xtics ytics mxtics mytics lc rgb "#dddddd"
set key top left box opaque
set format y "%g"
# row 1 of scaling.dat is N = 0, which a log axis cannot show: a dashed line
stats "scaling.dat" every ::0::0 using 3 nooutput
shim0 = STATS_min
plot "scaling.dat" using ($1 > 0 ? $1 : 1/0):3 with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "shim", \
     "" using ($1 > 0 ? $1 : 1/0):4 with linespoints lw 2 pt 5 lc rgb "#d62728" title "bash file_env", \
     "" using ($1 > 0 ? $1 : 1/0):5 with linespoints lw 2 pt 9 lc rgb "#ff7f0e" title "dash file_env (read builtin)", \
     shim0 with lines dt 2 lw 1 lc rgb "#1f77b4" title sprintf("shim with no secrets: %.0f µs", shim0)
