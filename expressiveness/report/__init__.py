"""Reports: findings in words, figures, and the HTML and markdown pages. Import the modules
themselves (pipeline.results_folder.write_reports renders an existing folder's pages again)."""
