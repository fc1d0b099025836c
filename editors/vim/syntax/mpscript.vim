" Vim syntax file for mpscript (.mps)
if exists("b:current_syntax")
  finish
endif

syn keyword mpsControl if else while for in break continue return try catch finally throw
syn keyword mpsConcurrency spawn thread daemon lock sem event queue pipe pool shared
syn keyword mpsStorage let fn
syn keyword mpsOperator and or not
syn keyword mpsConstant true false nil
syn keyword mpsBuiltin print len str int float bool type range sleep time rand rand_int rand_float sorted sum min max abs round assert error exit args read_file write_file append_file file_exists remove_file json_parse json_str input enumerate zip ctime strftime getpid getppid cpu_count fork wait waitpid kill signal run current_process parent_process active_children bytes help listen connect

syn match mpsComment "#.*$" contains=@Spell
syn match mpsNumber "\<0x[0-9A-Fa-f_]\+\>"
syn match mpsNumber "\<\d[0-9_]*\(\.\d[0-9_]*\)\=\([eE][+-]\=\d\+\)\=\>"
syn match mpsEscape contained "\\\(x\x\x\|u{\x\+}\|u\x\{4}\|\o\{1,3}\|[ntr0\\\"'{}]\)"
syn region mpsInterp contained matchgroup=mpsInterpDelim start="{" end="\(:[^}\"]*\)\=}" contains=mpsString,mpsRawString,mpsNumber,mpsConstant,mpsBuiltin,mpsOperator
syn region mpsString start=+"+ skip=+\\\\\|\\"+ end=+"+ contains=mpsEscape,mpsInterp
syn region mpsBytes start=+\<b"+ skip=+\\\\\|\\"+ end=+"+ contains=mpsEscape
syn region mpsRawString start=+'+ skip=+\\\\\|\\'+ end=+'+

hi def link mpsControl Conditional
hi def link mpsConcurrency Keyword
hi def link mpsStorage StorageClass
hi def link mpsOperator Operator
hi def link mpsConstant Constant
hi def link mpsBuiltin Function
hi def link mpsComment Comment
hi def link mpsNumber Number
hi def link mpsEscape SpecialChar
hi def link mpsInterpDelim Delimiter
hi def link mpsString String
hi def link mpsBytes String
hi def link mpsRawString String

let b:current_syntax = "mpscript"
