" mpscript files
autocmd BufRead,BufNewFile *.mps setfiletype mpscript
