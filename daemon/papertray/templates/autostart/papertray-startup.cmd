@echo off
rem papertray: written by `papertray autostart enable`; removed by `papertray autostart disable`.
{environment}start "" /b {exec_start}
