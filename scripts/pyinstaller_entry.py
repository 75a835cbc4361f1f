"""The frozen ``kubectl-podwhy``'s entry point: PyInstaller runs this file as ``__main__``.

``scripts/dist.py`` freezes it from the build venv, where ``kubectl_podwhy`` is the wheel
``make dist`` just built, so the archive holds exactly what the wheel ships.
"""
from kubectl_podwhy.__main__ import main

if __name__ == "__main__":
    main()
