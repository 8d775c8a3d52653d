from dbskit.cli import main

main()
