; NSIS installer for reelsmith. Build on Windows (or with makensis elsewhere) after
;   cargo build --release
; with:  makensis /DVERSION=0.1.0 packaging\windows\reelsmith.nsi
; The installer is written next to this script as reelsmith-VERSION-setup.exe.

!ifndef VERSION
  !define VERSION "0.1.0"
!endif
!ifndef BIN
  !define BIN "..\..\target\release\reelsmith.exe"
!endif

Unicode true
Name "reelsmith"
OutFile "reelsmith-${VERSION}-setup.exe"
InstallDir "$LOCALAPPDATA\Programs\reelsmith"
InstallDirRegKey HKCU "Software\reelsmith" "InstallDir"
RequestExecutionLevel user
SetCompressor /SOLID lzma
Icon "..\..\assets\icons\reelsmith.ico"
UninstallIcon "..\..\assets\icons\reelsmith.ico"

!include "MUI2.nsh"
!define MUI_ICON "..\..\assets\icons\reelsmith.ico"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "reelsmith" SecMain
  SetOutPath "$INSTDIR"
  File "${BIN}"
  File "..\..\assets\icons\reelsmith.ico"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortCut "$SMPROGRAMS\reelsmith.lnk" "$INSTDIR\reelsmith.exe" "" "$INSTDIR\reelsmith.ico"
  WriteRegStr HKCU "Software\reelsmith" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\reelsmith" "DisplayName" "reelsmith"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\reelsmith" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\reelsmith" "DisplayIcon" "$INSTDIR\reelsmith.ico"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\reelsmith" "UninstallString" "$\"$INSTDIR\uninstall.exe$\""
  WriteRegDWORD HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\reelsmith" "NoModify" 1
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\reelsmith.exe"
  Delete "$INSTDIR\reelsmith.ico"
  Delete "$INSTDIR\uninstall.exe"
  Delete "$SMPROGRAMS\reelsmith.lnk"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\reelsmith"
  DeleteRegKey HKCU "Software\reelsmith"
SectionEnd
